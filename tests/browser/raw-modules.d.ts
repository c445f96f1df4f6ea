// Vite's `?raw` imports (a file's text), as the browser tests use them.
declare module '*?raw' {
  const text: string;
  export default text;
}
