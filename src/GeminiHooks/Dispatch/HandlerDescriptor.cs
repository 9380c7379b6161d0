using GeminiHooks.Events;

namespace GeminiHooks.Dispatch;

/// <summary>A handler by name, whether registered in code or configured.</summary>
sealed class HandlerDescriptor(
    string name,
    string type,
    HandlerFlow flow,
    Func<string, bool> accepts,
    Func<GeminiEvent, bool> canHandle,
    Func<IServiceProvider, GeminiEvent, CancellationToken, Task> invoke)
{
    public string Name { get; } = name;
    /// <summary><c>code</c> for a handler registered in code, else the configured <c>Type</c>.</summary>
    public string Type { get; } = type;
    public HandlerFlow Flow { get; } = flow;
    public bool Accepts(string eventType) => accepts(eventType);
    public bool CanHandle(GeminiEvent e) => canHandle(e);
    public Task InvokeAsync(IServiceProvider scope, GeminiEvent e, CancellationToken cancellationToken) => invoke(scope, e, cancellationToken);
}
