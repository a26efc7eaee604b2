import { useState } from 'react';
import { askNotificationPermission, notificationsSupported } from './notifications.js';
import { setSoundEnabled, useSoundEnabled } from './preferences.js';
import { playNotificationSound } from './sound.js';

function permissionText(p: NotificationPermission | null): string {
  if (p === null) return 'This browser cannot show desktop notifications.';
  if (p === 'granted') return 'Desktop notifications are on for this browser.';
  if (p === 'denied') return 'Desktop notifications are blocked in this browser’s site settings.';
  return 'Desktop notifications are off.';
}

/**
 * This browser's notification preferences: the sound (kept here), and desktop notifications
 * (the browser's permission). What each conversation notifies about is set in its header.
 */
export function NotificationPreferences() {
  const sound = useSoundEnabled();
  const [permission, setPermission] = useState<NotificationPermission | null>(() =>
    notificationsSupported() ? Notification.permission : null,
  );
  return (
    <div className="prefs">
      <label className="switch">
        <input
          type="checkbox"
          checked={sound}
          onChange={(e) => {
            setSoundEnabled(e.target.checked);
            if (e.target.checked) playNotificationSound();
          }}
        />
        <span className="switch__track" aria-hidden="true" />
        <span>Play a sound for new messages</span>
      </label>
      <p className="muted prefs__hint">
        {permissionText(permission)} Choose per conversation what you are told about from the bell
        in its header.
      </p>
      {permission === 'default' && (
        <button
          type="button"
          className="button button--ghost"
          onClick={() => void askNotificationPermission().then(setPermission)}
        >
          Turn on desktop notifications
        </button>
      )}
    </div>
  );
}
