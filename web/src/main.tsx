import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, preloadRoute } from './app/App.js';
import { boot, sessionHint } from './features/auth/session.js';
import './styles/app.css';

void boot();
preloadRoute(location.pathname, sessionHint.get());
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
