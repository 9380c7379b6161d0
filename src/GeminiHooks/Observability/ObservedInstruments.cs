using Microsoft.Extensions.Hosting;

namespace GeminiHooks.Observability;

/// <summary>
/// Brings the observed instruments into being when the host starts: an observable instrument exists from its owner's
/// constructor on, and nothing else asks for these types. Starting and stopping have nothing to do.
/// </summary>
sealed class ObservedInstruments : IHostedService
{
    public ObservedInstruments(BacklogGauge backlog, ReadinessGauge readiness, JwksObserver jwks)
    {
        ArgumentNullException.ThrowIfNull(backlog);
        ArgumentNullException.ThrowIfNull(readiness);
        ArgumentNullException.ThrowIfNull(jwks);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
