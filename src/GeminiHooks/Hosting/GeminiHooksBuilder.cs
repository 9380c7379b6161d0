using GeminiHooks.Configuration;
using GeminiHooks.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GeminiHooks.Hosting;

/// <summary>Returned by <c>AddGeminiHooks</c>: registers code handlers.</summary>
public sealed class GeminiHooksBuilder
{
    /// <summary>Wraps a service collection on which <c>AddGeminiHooks</c> is (or will be) called, e.g. in a test host.</summary>
    public GeminiHooksBuilder(IServiceCollection services) => Services = services ?? throw new ArgumentNullException(nameof(services));

    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers <typeparamref name="THandler"/> (scoped) as a handler for every event type it implements
    /// <see cref="IGeminiEventHandler{TEvent}"/> for, or for all events when it implements <see cref="IGeminiEventHandler"/>.
    /// </summary>
    /// <param name="name">The handler's identity in the store (defaults to the class name). Renaming it orphans its pending runs.</param>
    /// <param name="configure">
    /// Its own flow settings (retry, concurrency, rate limit, circuit breaker), e.g. <c>h =&gt; h.Retry.MaxAttempts = 20</c>; unset values take the global
    /// <c>Dispatch</c> ones. Checked at start with the configuration.
    /// </param>
    public GeminiHooksBuilder AddHandler<THandler>(string? name = null, Action<HandlerFlowOptions>? configure = null) where THandler : class
    {
        var flow = new HandlerFlowOptions();
        configure?.Invoke(flow);
        return Add<THandler>(name, flow);
    }

    GeminiHooksBuilder Add<THandler>(string? name, HandlerFlowOptions flow) where THandler : class
    {
        name ??= typeof(THandler).Name;
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("A handler name must not be empty.", nameof(name));
        var registration = CodeHandlerRegistration.Create(name, typeof(THandler), flow);
        foreach (var existing in Services)
        {
            if (existing.ServiceType == typeof(CodeHandlerRegistration) &&
                existing.ImplementationInstance is CodeHandlerRegistration other &&
                string.Equals(other.Name, name, StringComparison.Ordinal))
                throw new InvalidOperationException($"A Gemini handler named '{name}' is already registered ({other.HandlerType.Name}).");
        }
        Services.AddSingleton(registration);
        Services.TryAddScoped<THandler>();
        return this;
    }
}
