import { render } from 'preact';
import { App } from './app.js';

render(<App />, document.getElementById('app')!);

// The built site keeps its files for opening offline (sw.js, written by vite.config.ts).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch(() => {
    // A page that cannot keep its files (a private window, file://) still works while it is open.
  });
}
