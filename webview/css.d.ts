/** esbuild bundles a webview's CSS imports into dist/webview/<name>.css. */
declare module '*.css';
