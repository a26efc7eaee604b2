import { useState } from 'react';
import type { Message } from '../../../../protocol/schemas/conversations.js';
import { errorMessage } from '../../lib/http.js';
import { ConfirmDialog } from '../../ui/Dialog.js';
import { useClient, useMe } from '../realtime/ChatContext.js';

/** Asks before deleting a message for everyone, then deletes it (`message:delete`). */
export function DeleteMessageDialog({
  message,
  onDone,
  onClose,
}: {
  message: Message;
  onDone: () => void;
  onClose: () => void;
}) {
  const client = useClient();
  const me = useMe();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await client.change('message:delete', { messageId: message.id });
      onDone();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  const whose = message.senderId === me.id ? 'Your message' : 'This message';
  return (
    <ConfirmDialog
      title="Delete message?"
      message={`${whose} will be deleted for everyone in this conversation. This cannot be undone.`}
      confirmLabel="Delete"
      danger
      busy={busy}
      error={error}
      onConfirm={() => void confirm()}
      onClose={onClose}
    />
  );
}
