import type { ReactNode } from 'react';

/** The centred card around sign-in and sign-up. */
export function AuthLayout({
  title,
  subtitle,
  children,
  footer,
}: {
  title: string;
  subtitle: string;
  children: ReactNode;
  footer: ReactNode;
}) {
  return (
    <main className="auth">
      <div className="auth__card">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <span>Parley</span>
        </div>
        <h1>{title}</h1>
        <p className="auth__subtitle">{subtitle}</p>
        {children}
        <p className="auth__footer">{footer}</p>
      </div>
    </main>
  );
}
