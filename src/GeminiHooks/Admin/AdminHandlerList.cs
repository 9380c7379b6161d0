namespace GeminiHooks.Admin;

sealed record AdminHandlerList(IReadOnlyList<AdminHandler> Handlers);

