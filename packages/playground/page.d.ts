// Types of page.js.
export declare const html: string;
