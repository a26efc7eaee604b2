/** Limits shared by the server and the client. */
export const LIMITS = {
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 8,
  passwordMax: 128,
  displayNameMax: 64,
  emailMax: 254,
  bioMax: 500,
  searchQueryMax: 64,
  searchLimitDefault: 20,
  searchLimitMax: 50,
  messageBodyMax: 8000,
  clientIdMax: 64,
  groupNameMax: 80,
  topicMax: 250,
  historyLimitDefault: 50,
  historyLimitMax: 200,
  changesLimitDefault: 100,
  changesLimitMax: 500,
  /** Distinct emoji on one message. */
  reactionsPerMessageMax: 20,
  /** UTF-16 units of one emoji (the longest ZWJ sequences are about 35). */
  emojiMax: 64,
  /** Code points of a reply's excerpt of the message it answers. */
  replyExcerptMax: 200,
  /** Distinct members one message mentions (the first ones). */
  mentionsMax: 50,
  /** Uploads one message may carry. */
  attachmentsPerMessageMax: 10,
  /** UTF-16 units of an upload's display name. */
  fileNameMax: 255,
  accessTokenMinutes: 15,
  sessionMaxHours: 12,
  sessionRememberDays: 30,
} as const;

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Avatar sizes the server renders; `avatarUrl` points at the middle one. */
export const AVATAR_SIZES = [64, 256, 512] as const;
export const AVATAR_DEFAULT_SIZE = 256;

/** Name of the refresh cookie and the header that must come with it. */
export const REFRESH_COOKIE = 'parley_refresh';
/** The cookie that lets `<img src>` read files: the access token, scoped to /api/files. */
export const FILES_COOKIE = 'parley_files';
export const CLIENT_HEADER = 'x-parley-client';

/** Typing ends by itself this long after the last `typing: true`. */
export const TYPING_TIMEOUT_MS = 6000;
/** Largest Socket.IO packet the server accepts. */
export const MAX_SOCKET_PACKET_BYTES = 64 * 1024;
