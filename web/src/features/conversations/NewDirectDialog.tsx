import { useState } from 'react';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import { errorMessage } from '../../lib/http.js';
import { navigate } from '../../lib/router.js';
import { Dialog } from '../../ui/Dialog.js';
import { useClient } from '../realtime/ChatContext.js';
import { UserSearch } from '../users/UserSearch.js';
import { conversationsApi } from './api.js';

/** Search people and open (or start) the direct chat with one of them. */
export function NewDirectDialog({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pick = async (u: PublicUser) => {
    if (busy) return;
    setBusy(true);
    try {
      const c = await conversationsApi.openDirect(u.id);
      client.adopt(c);
      onClose();
      navigate(`/c/${c.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="New chat" onClose={onClose}>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <UserSearch onPick={(u) => void pick(u)} autoFocus />
    </Dialog>
  );
}
