// Style sheets imported by the bundled pages: esbuild emits them as the bundle's .css file.
declare module '*.css';
