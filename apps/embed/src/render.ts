import type { FormField, PublicFormSettings } from "../../../packages/core/src/enquiry/wire";
import { h, uniqueId } from "./dom";
import { enhanceForm } from "./submit";

const TURNSTILE_SCRIPT = "https://challenges.cloudflare.com/turnstile/v0/api.js";

// Fonts and colours come from the page. The styles only lay the fields out and size them for touch.
const ROW_STYLE = "margin:0 0 1em";
const LABEL_STYLE = "display:block;font-weight:600";
const CONTROL_STYLE = "box-sizing:border-box;width:100%;padding:.5em;font:inherit";
const BUTTON_STYLE = "font:inherit;padding:.5em 1.5em";

let turnstileScript: HTMLScriptElement | undefined;

function renderField(field: FormField): HTMLElement {
  const id = uniqueId();
  const isCheckbox = field.type == "checkbox";
  const attributes = {
    id,
    name: field.name,
    autocomplete: field.autocomplete,
    required: field.required && "",
    "aria-required": field.required && "true",
    // A site's own `input { width: 100% }` would stretch a checkbox away from its label.
    style: isCheckbox ? "width:auto;margin:0 .5em 0 0" : CONTROL_STYLE,
  };

  let control: HTMLElement;
  if (field.type == "textarea") {
    control = h("textarea", { ...attributes, rows: "6" });
  } else if (field.type == "select") {
    const options = (field.options || []).map((option) => h("option", { value: option.value }, option.label));
    control = h("select", attributes, h("option", { value: "" }, "Choose an option"), ...options);
  } else {
    control = h("input", { ...attributes, type: field.type, value: isCheckbox ? "yes" : null });
  }

  // The asterisk is for sighted visitors, because `required` already marks the field for assistive technology.
  const marker = field.required ? [h("span", { "aria-hidden": "true" }, " *")] : [];
  const label = h("label", { for: id, style: isCheckbox ? "display:inline" : LABEL_STYLE }, field.label, ...marker);
  return h("div", { style: ROW_STYLE }, ...(isCheckbox ? [control, label] : [label, control]));
}

/**
 * Creates the honeypot field. It is moved off-screen instead of hidden with display:none, because form-filling
 * bots skip fields that are not displayed, and it is taken out of the tab order and the accessibility tree. It has
 * no label, because a label saying to leave it blank would tell bots the same.
 */
function renderHoneypot(name: string): HTMLElement {
  return h(
    "div",
    { "aria-hidden": "true", style: "position:absolute;left:-9999px" },
    h("input", { name, type: "text", tabindex: "-1", autocomplete: "off" }),
  );
}

/**
 * Loads Turnstile the first time a visitor focuses a form that needs it, so visitors who never start an enquiry
 * don't load it. The script renders every `.cf-turnstile` element on the page when it loads.
 * NOTE: a widget added after the script has loaded is not rendered, so its form sends no token. Pages that load
 * Turnstile themselves have not been tried.
 */
function loadTurnstile(): void {
  turnstileScript ||= document.head.appendChild(h("script", { src: TURNSTILE_SCRIPT, async: "" }));
}

function buildForm(settings: PublicFormSettings, formKey: string): HTMLFormElement {
  const form = h("form", {
    method: "post",
    action: settings.submitUrl,
    "aria-label": settings.name,
    "data-plumbline": formKey,
    "data-plumbline-success": settings.successMessage,
  });

  if (settings.fields.some((field) => field.required)) form.append(h("p", {}, "Fields marked * are required."));
  form.append(...settings.fields.map(renderField), renderHoneypot(settings.honeypotField));

  if (settings.turnstileSiteKey) {
    form.append(h("div", { class: "cf-turnstile", "data-sitekey": settings.turnstileSiteKey, style: ROW_STYLE }));
    form.addEventListener("focusin", loadTurnstile);
  }

  form.append(h("button", { type: "submit", style: BUTTON_STYLE }, settings.submitLabel));
  return form;
}

/**
 * Replaces the content of a `data-plumbline-form` element with the form its settings describe. When the settings
 * cannot be loaded, the element keeps the content the page gave it, which can be a fallback such as a phone number.
 */
export async function renderForm(host: HTMLElement, api: string): Promise<void> {
  const formKey = host.dataset.plumblineForm || "";
  let settings: PublicFormSettings;
  try {
    const response = await fetch(`${api}/v1/forms/${encodeURIComponent(formKey)}`);
    if (!response.ok) throw response.status;
    settings = await response.json();
  } catch (error) {
    console.warn(`Plumbline: loading form "${formKey}" failed`, error);
    return;
  }

  const form = buildForm(settings, formKey);
  host.replaceChildren(form);
  enhanceForm(form);
}
