import { useState } from 'react';
import { Icon } from '../../ui/Icon.js';
import { askNotificationPermission, notificationsSupported } from './notifications.js';
import { markNotificationsAsked, useNotificationsAsked } from './preferences.js';

/** Offers desktop notifications once; the answer is remembered. */
export function NotificationPrompt() {
  const asked = useNotificationsAsked();
  const [hidden, setHidden] = useState(false);
  if (hidden || asked || !notificationsSupported() || Notification.permission !== 'default')
    return null;
  return (
    <div className="prompt" role="region" aria-label="Desktop notifications">
      <Icon name="bell" size={18} />
      <span>
        Get a desktop notification when a message arrives while Parley is in the background.
      </span>
      <span className="prompt__actions">
        <button
          type="button"
          className="button button--small button--primary"
          onClick={() => {
            setHidden(true);
            void askNotificationPermission();
          }}
        >
          Turn on
        </button>
        <button
          type="button"
          className="button button--small button--ghost"
          onClick={() => {
            setHidden(true);
            markNotificationsAsked();
          }}
        >
          Not now
        </button>
      </span>
    </div>
  );
}
