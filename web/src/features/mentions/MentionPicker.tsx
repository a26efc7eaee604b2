import { Avatar } from '../../ui/Avatar.js';
import { CompletionList } from '../../ui/CompletionList.js';
import type { MentionPickerState } from './useMentionPicker.js';

/** The member list shown beside a text box while an `@name` is typed. */
export function MentionPicker({
  picker,
  anchor,
}: {
  picker: MentionPickerState;
  anchor: HTMLElement | null;
}) {
  return (
    <CompletionList
      picker={picker}
      anchor={anchor}
      label="Mention someone"
      testId="mention-picker"
      keyOf={(u) => u.id}
    >
      {(u) => (
        <>
          <Avatar name={u.displayName} url={u.avatarUrl} seed={u.id} size={28} />
          <span className="mention-picker__name">{u.displayName}</span>
          <span className="mention-picker__username">@{u.username}</span>
        </>
      )}
    </CompletionList>
  );
}
