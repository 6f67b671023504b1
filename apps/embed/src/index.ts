import { recordTouches } from "./attribution";
import { renderForm } from "./render";
import { configureSubmissions, enhanceForm, handleSubmit } from "./submit";

/**
 * Starts the snippet once per page. A site that includes the script tag twice would otherwise get each rendered
 * form built twice and a second message region in each form.
 */
function start(): void {
  // document.currentScript is set only while the script first runs, so the API origin is read here.
  const script =
    (document.currentScript as HTMLScriptElement | null) ||
    document.querySelector<HTMLScriptElement>('script[src$="/embed.js"]');
  if (!script) return;
  const api = new URL(script.src).origin;
  configureSubmissions(api, recordTouches());

  // Listening on the document also covers forms that the page adds after this script has run.
  document.addEventListener("submit", handleSubmit);

  const scan = () => {
    document.querySelectorAll<HTMLFormElement>("form[data-plumbline]").forEach(enhanceForm);
    document.querySelectorAll<HTMLElement>("[data-plumbline-form]").forEach((host) => renderForm(host, api));
  };
  if (document.readyState == "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
}

const page = window as Window & { plumblineStarted?: boolean };
if (!page.plumblineStarted) {
  page.plumblineStarted = true;
  start();
}
