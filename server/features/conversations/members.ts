/** Who takes over when the owner leaves: the longest-serving admin, else the longest member. */
export function successorOf<T extends { user_id: number; role: string; joined_at: number }>(
  members: readonly T[],
  leaving: number,
): T | undefined {
  const rest = members
    .filter((m) => m.user_id !== leaving)
    .sort((a, b) => a.joined_at - b.joined_at || a.user_id - b.user_id);
  return rest.find((m) => m.role === 'admin') ?? rest[0];
}
