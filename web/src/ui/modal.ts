/** Opens a <dialog> as a modal (or only shown, where the DOM has no showModal, as in tests). */
export function openModal(d: HTMLDialogElement): void {
  if (d.open) return;
  if (typeof d.showModal === 'function') d.showModal();
  else d.setAttribute('open', '');
}

/**
 * Closes it. While a modal dialog is open the rest of the page is inert, so this comes before
 * the focus goes back behind it (an unmount may run before the dialog leaves the page).
 */
export function closeModal(d: HTMLDialogElement): void {
  if (!d.open) return;
  if (typeof d.close === 'function') d.close();
  else d.removeAttribute('open');
}
