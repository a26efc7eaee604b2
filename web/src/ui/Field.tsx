import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

/**
 * A field error as a sentence. The server names what is wrong with a field ("is incorrect",
 * "must be at least 8 characters", zod's "Too small: …"); the label makes it read well.
 */
export function describeFieldError(label: string, raw: string): string {
  const small = /^Too small: expected string to have >=?(\d+) characters?$/.exec(raw);
  if (small) return `${label} must be at least ${small[1]} characters`;
  const big = /^Too big: expected string to have <=?(\d+) characters?$/.exec(raw);
  if (big) return `${label} must be at most ${big[1]} characters`;
  if (/^[a-z]/.test(raw)) return `${label} ${raw}`;
  return raw;
}

/** A labelled input with its error (from the server or the form) right under it. */
export function Field({
  label,
  error,
  hint,
  children,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children?: ReactNode;
}) {
  const id = useId();
  const described = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className={`field${error ? ' field--invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        {...input}
      />
      {children}
      {error ? (
        <p className="field__error" id={`${id}-error`}>
          {describeFieldError(label, error)}
        </p>
      ) : hint ? (
        <p className="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}
