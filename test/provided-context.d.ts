// Values the global setup hands to tests with `provide`, read with `inject`.
declare module "vitest" {
  interface ProvidedContext {
    fakeProvidersUrl: string;
    /** Set by PLUMBLINE_WRITE_DEMO=1 (`npm run demo:generate`): the demo history test runs and writes its file. */
    writeDemoHistory: boolean;
  }
}

export {};
