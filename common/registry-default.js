// The registry the skild CLI talks to when nothing else names one. Shared with the Worker, whose
// skill pages leave `--registry` out of the install command only when they are served from here.
export const DEFAULT_REGISTRY = "http://127.0.0.1:18787";
