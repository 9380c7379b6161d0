using GeminiHooks.Dispatch;

namespace GeminiHooks.Hosting;

/// <summary>The catalog when no dispatch is configured: events are stored and nothing runs.</summary>
sealed class NoHandlers : IHandlerCatalog
{
    public IReadOnlyList<string> HandlersFor(string eventType) => [];
}
