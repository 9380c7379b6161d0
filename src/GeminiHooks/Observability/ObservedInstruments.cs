using Microsoft.Extensions.Hosting;

namespace GeminiHooks.Observability;

/// <summary>
/// Brings the observed instruments into being when the host starts: an observable instrument exists from its owner's
/// constructor on, and nothing else asks for these types. Starting takes the handler states' first read (the baseline
/// for circuit transitions); stopping has nothing to do.
/// </summary>
sealed class ObservedInstruments : IHostedService
{
    readonly HandlerStateObserver _handlers;

    public ObservedInstruments(BacklogGauge backlog, ReadinessGauge readiness, JwksObserver jwks, HandlerStateObserver handlers)
    {
        ArgumentNullException.ThrowIfNull(backlog);
        ArgumentNullException.ThrowIfNull(readiness);
        ArgumentNullException.ThrowIfNull(jwks);
        ArgumentNullException.ThrowIfNull(handlers);
        _handlers = handlers;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _handlers.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
