using System.Diagnostics.Metrics;
using GeminiHooks.Configuration;
using GeminiHooks.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Binding;

/// <summary>
/// <c>Dynamic:Binding:Mode</c> <c>Off</c> is allowed, but never quietly: a warning at start and a gauge
/// (<c>geminihooks_dynamic_unbound</c>, 1 while dynamic deliveries reach handlers unbound) an alert can watch.
/// </summary>
sealed partial class UnboundNotice : IHostedService
{
    readonly IOptionsMonitor<GeminiHooksOptions> _options;
    readonly ILogger<UnboundNotice> _logger;

    public UnboundNotice(IOptionsMonitor<GeminiHooksOptions> options, IMeterFactory meters, ILogger<UnboundNotice> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _options = options;
        _logger = logger;
        meters.Create(GeminiHooksMetrics.MeterName).CreateObservableGauge("geminihooks.dynamic.unbound", () => Unbound(_options.CurrentValue) ? 1 : 0,
            null, "1 when dynamic webhooks are on with Dynamic:Binding:Mode Off (any delivery Google signs reaches the handlers), else 0.");
    }

    static bool Unbound(GeminiHooksOptions options) =>
        options.Dynamic.Enabled && options.Dynamic.Binding.Mode == DynamicBindingMode.Off;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = _options.CurrentValue;
        if (Unbound(settings))
            LogUnbound(_logger, settings.Dynamic.Path);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dynamic webhooks at {Path} are not bound (Dynamic:Binding:Mode Off): " +
        "any Gemini customer who learns the URL can reach every handler. Set binding keys, or Mode Confirm with Gemini:ApiKey.")]
    static partial void LogUnbound(ILogger logger, string path);
}
