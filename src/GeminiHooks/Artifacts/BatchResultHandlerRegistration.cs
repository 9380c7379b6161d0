namespace GeminiHooks.Artifacts;

/// <summary>A result handler registered in code: its name (its checkpoints' key) and its class.</summary>
internal sealed record BatchResultHandlerRegistration(string Name, Type HandlerType);
