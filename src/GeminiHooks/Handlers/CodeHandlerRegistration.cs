using System.Reflection;
using GeminiHooks.Configuration;
using GeminiHooks.Events;
using Microsoft.Extensions.DependencyInjection;

namespace GeminiHooks.Handlers;

/// <summary>A handler class registered in code, with the event records it takes worked out once, at registration.</summary>
sealed class CodeHandlerRegistration
{
    readonly (Type EventType, Func<object, GeminiEvent, CancellationToken, Task> Invoke)[] _typed;
    readonly bool _allEvents;

    CodeHandlerRegistration(string name, Type handlerType,
        (Type, Func<object, GeminiEvent, CancellationToken, Task>)[] typed, bool allEvents, HandlerFlowOptions flow)
    {
        Name = name;
        Flow = flow;
        HandlerType = handlerType;
        _typed = typed;
        _allEvents = allEvents;
    }

    public string Name { get; }
    public Type HandlerType { get; }

    /// <summary>Its retry and concurrency settings, as given to <c>AddHandler</c> (unset values are the global ones).</summary>
    public HandlerFlowOptions Flow { get; }

    public static CodeHandlerRegistration Create(string name, Type handlerType, HandlerFlowOptions? flow = null)
    {
        var typed = handlerType.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IGeminiEventHandler<>))
            .Select(i => i.GetGenericArguments()[0])
            // The most derived record first, so a class taking both BatchSucceeded and GeminiEvent gets the specific call.
            .OrderByDescending(Depth)
            .Select(t => (t, (Func<object, GeminiEvent, CancellationToken, Task>)MakeInvokerMethod.MakeGenericMethod(t).Invoke(null, null)!))
            .ToArray();
        var allEvents = typeof(IGeminiEventHandler).IsAssignableFrom(handlerType);
        if (typed.Length == 0 && !allEvents)
            throw new ArgumentException(
                $"{handlerType.Name} implements neither IGeminiEventHandler<TEvent> nor IGeminiEventHandler.", nameof(handlerType));
        return new CodeHandlerRegistration(name, handlerType, typed, allEvents, flow ?? new HandlerFlowOptions());
    }

    /// <summary>Whether events of this type reach the handler (decided by the record the type is read into).</summary>
    public bool Accepts(string eventType)
    {
        if (_allEvents)
            return true;
        var record = GeminiEventTypes.RecordFor(eventType);
        return _typed.Any(t => t.EventType.IsAssignableFrom(record));
    }

    public bool CanHandle(GeminiEvent e) => _allEvents || _typed.Any(t => t.EventType.IsInstanceOfType(e));

    public Task InvokeAsync(IServiceProvider services, GeminiEvent e, CancellationToken cancellationToken)
    {
        var handler = services.GetRequiredService(HandlerType);
        foreach (var (eventType, invoke) in _typed)
        {
            if (eventType.IsInstanceOfType(e))
                return invoke(handler, e, cancellationToken);
        }
        if (_allEvents)
            return ((IGeminiEventHandler)handler).HandleAsync(e, cancellationToken);
        throw new InvalidOperationException($"{HandlerType.Name} does not take {e.GetType().Name} events.");
    }

    static readonly MethodInfo MakeInvokerMethod =
        typeof(CodeHandlerRegistration).GetMethod(nameof(MakeInvoker), BindingFlags.NonPublic | BindingFlags.Static)!;

    static Func<object, GeminiEvent, CancellationToken, Task> MakeInvoker<TEvent>() where TEvent : GeminiEvent =>
        (handler, e, cancellationToken) => ((IGeminiEventHandler<TEvent>)handler).HandleAsync((TEvent)e, cancellationToken);

    static int Depth(Type type)
    {
        var depth = 0;
        for (var t = type; t is not null; t = t.BaseType)
            depth++;
        return depth;
    }
}
