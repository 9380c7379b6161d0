namespace GeminiHooks.Admin;

sealed record AdminHandlerStateChange(string Name, string State);
