// Run the example: MOONKEY_API_URL=http://127.0.0.1:8080 MOONKEY_SECRET_KEY=sk_test_… npm start
import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
createApp().listen(port, '127.0.0.1', () => {
  console.log(`example app on http://127.0.0.1:${port}`);
});
