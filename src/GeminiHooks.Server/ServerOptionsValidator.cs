using System.Net;
using GeminiHooks.Configuration;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Server;

/// <summary>
/// Start-up validation of the server's own settings (rate limit, forwarded headers, metrics), in the library's
/// one-line-per-key form. The delivery paths are read to keep the scrape path off them.
/// </summary>
sealed class ServerOptionsValidator(IOptions<GeminiHooksOptions> core) : IValidateOptions<ServerOptions>
{
    const string S = GeminiHooksOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string key, string message) => failures.Add($"{S}:{key}: {message}");

        var rateLimit = options.RateLimit;
        if (rateLimit.Enabled)
        {
            if (rateLimit.PermitLimit < 1)
                Fail("RateLimit:PermitLimit", $"must be at least 1 (is {rateLimit.PermitLimit})");
            if (rateLimit.Window < TimeSpan.FromMilliseconds(1) || rateLimit.Window > TimeSpan.FromDays(1))
                Fail("RateLimit:Window", $"must be between 00:00:00.001 and 1.00:00:00 (is {rateLimit.Window})");
        }

        var forwarded = options.ForwardedHeaders;
        for (var i = 0; i < forwarded.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(forwarded.KnownProxies[i], out _))
                Fail($"ForwardedHeaders:KnownProxies:{i}", $"'{forwarded.KnownProxies[i]}' is not an IP address");
        }
        for (var i = 0; i < forwarded.KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(forwarded.KnownNetworks[i], out _))
                Fail($"ForwardedHeaders:KnownNetworks:{i}", $"'{forwarded.KnownNetworks[i]}' is not a network in CIDR form (like 10.0.0.0/8)");
        }
        if (forwarded.ForwardLimit < 1)
            Fail("ForwardedHeaders:ForwardLimit", "must be at least 1");

        var metrics = options.Metrics;
        if (metrics.Enabled)
        {
            if (!string.IsNullOrEmpty(metrics.PrometheusPath))
            {
                if (metrics.PrometheusPath[0] != '/')
                    Fail("Metrics:PrometheusPath", $"'{metrics.PrometheusPath}' must start with '/' (or be empty to turn the scrape endpoint off)");
                else if (string.Equals(metrics.PrometheusPath, core.Value.Static.Path, StringComparison.OrdinalIgnoreCase) ||
                         string.Equals(metrics.PrometheusPath, core.Value.Dynamic.Path, StringComparison.OrdinalIgnoreCase))
                    Fail("Metrics:PrometheusPath", $"'{metrics.PrometheusPath}' is used by a delivery endpoint");
            }
            if (metrics.Port is < 0 or > 65535)
                Fail("Metrics:Port", $"must be a TCP port from 1 to 65535, or 0 for the main listener (is {metrics.Port})");
            if (!string.IsNullOrEmpty(metrics.OtlpEndpoint) &&
                !(Uri.TryCreate(metrics.OtlpEndpoint, UriKind.Absolute, out var otlp) && (otlp.Scheme == Uri.UriSchemeHttp || otlp.Scheme == Uri.UriSchemeHttps)))
                Fail("Metrics:OtlpEndpoint", $"'{metrics.OtlpEndpoint}' is not an absolute http(s) URI");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
