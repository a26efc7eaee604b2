import { useState, type FormEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import { ApiError, errorMessage } from '../../lib/http.js';
import { navigate } from '../../lib/router.js';
import { Avatar } from '../../ui/Avatar.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { useClient } from '../realtime/ChatContext.js';
import { UserSearch } from '../users/UserSearch.js';
import { conversationsApi } from './api.js';

/** Name, topic, public or private, and the first members. */
export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [members, setMembers] = useState<PublicUser[]>([]);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFields({});
    try {
      const c = await conversationsApi.createGroup({
        name: name.trim(),
        ...(topic.trim() ? { topic: topic.trim() } : {}),
        isPrivate,
        memberIds: members.map((m) => m.id),
      });
      client.adopt(c);
      onClose();
      navigate(`/c/${c.id}`);
    } catch (err) {
      if (err instanceof ApiError) setFields(err.fields);
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="New group"
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="new-group"
            className="button button--primary"
            disabled={busy || !name.trim()}
          >
            Create group
          </button>
        </>
      }
    >
      <form id="new-group" className="form" onSubmit={(e) => void submit(e)}>
        {error && Object.keys(fields).length === 0 && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <Field
          label="Name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={LIMITS.groupNameMax}
          required
          autoFocus
          placeholder="e.g. Design team"
          error={fields.name}
        />
        <Field
          label="Topic"
          value={topic}
          onChange={(e) => setTopic(e.target.value)}
          maxLength={LIMITS.topicMax}
          placeholder="What is this group about? (optional)"
          error={fields.topic}
        />
        <fieldset className="choice">
          <legend>Who can join</legend>
          <label className={`choice__option${!isPrivate ? ' choice__option--on' : ''}`}>
            <input
              type="radio"
              name="visibility"
              checked={!isPrivate}
              onChange={() => setPrivate(false)}
            />
            <Icon name="globe" />
            <span>
              <strong>Public</strong>
              <small>Anyone can find it and join</small>
            </span>
          </label>
          <label className={`choice__option${isPrivate ? ' choice__option--on' : ''}`}>
            <input
              type="radio"
              name="visibility"
              checked={isPrivate}
              onChange={() => setPrivate(true)}
            />
            <Icon name="lock" />
            <span>
              <strong>Private</strong>
              <small>Only people who are added</small>
            </span>
          </label>
        </fieldset>
        <div className="field">
          <span className="field__label">Members</span>
          {members.length > 0 && (
            <ul className="chips" aria-label="Chosen members">
              {members.map((m) => (
                <li key={m.id} className="chip">
                  <Avatar name={m.displayName} url={m.avatarUrl} seed={m.id} size={22} />
                  {m.displayName}
                  <button
                    type="button"
                    aria-label={`Remove ${m.displayName}`}
                    onClick={() => setMembers((list) => list.filter((x) => x.id !== m.id))}
                  >
                    <Icon name="close" size={14} />
                  </button>
                </li>
              ))}
            </ul>
          )}
          <UserSearch
            placeholder="Add people"
            exclude={new Set(members.map((m) => m.id))}
            onPick={(u) => setMembers((list) => [...list, u])}
            actionLabel="Add"
          />
        </div>
      </form>
    </Dialog>
  );
}
