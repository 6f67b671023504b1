// Values the global setup hands to tests with `provide`, read with `inject`.
declare module "vitest" {
  interface ProvidedContext {
    fakeProvidersUrl: string;
  }
}

export {};
