using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Configuration;

/// <summary>
/// Start-up (and reload) validation of the core settings: each failure is one line naming the key, so a bad
/// deployment stops with a message an operator can act on. Checks that need another concern live with it: secret
/// decoding in Verification, binding in Binding, the store provider in Storage, handler settings in Handlers.
/// </summary>
sealed class GeminiHooksOptionsValidator(IHostEnvironment environment)
    : IValidateOptions<GeminiHooksOptions>
{
    static readonly string[] AsymmetricAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    const string S = GeminiHooksOptions.SectionName;
    const int MinimumAdminKeyLength = 32;

    public ValidateOptionsResult Validate(string? name, GeminiHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string key, string message) => failures.Add($"{S}:{key}: {message}");

        if (options.Tolerance <= TimeSpan.Zero || options.Tolerance > TimeSpan.FromDays(1))
            Fail("Tolerance", $"must be between 00:00:01 and 1.00:00:00 (is {options.Tolerance})");
        if (options.MaxBodyBytes is < 1024 or > 64 * 1024 * 1024)
            Fail("MaxBodyBytes", $"must be between 1024 and 67108864 (is {options.MaxBodyBytes})");

        var paths = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (options.Static.Enabled)
        {
            CheckPath("Static:Path", options.Static.Path);
            if (options.Static.Secrets.Count == 0 && !environment.IsDevelopment())
                Fail("Static:Secrets", "is empty: set at least one signing secret (whsec_...), or set Static:Enabled to false");
        }

        var dynamicOptions = options.Dynamic;
        if (dynamicOptions.Enabled)
        {
            CheckPath("Dynamic:Path", dynamicOptions.Path);
            if (!Uri.TryCreate(dynamicOptions.JwksUri, UriKind.Absolute, out var jwksUri))
                Fail("Dynamic:JwksUri", $"'{dynamicOptions.JwksUri}' is not an absolute URI");
            else if (jwksUri.Scheme != Uri.UriSchemeHttps && !(jwksUri.Scheme == Uri.UriSchemeHttp && IsLoopback(jwksUri)))
                Fail("Dynamic:JwksUri", "must use https (plain http is allowed only for loopback addresses)");
            if (dynamicOptions.RequireAudience && !dynamicOptions.Audiences.Any(a => !string.IsNullOrWhiteSpace(a)))
                Fail("Dynamic:Audiences", "is empty but Dynamic:RequireAudience is true: list the JWT audiences to accept, or leave RequireAudience false (Gemini requests carry no audience)");
            for (var i = 0; i < dynamicOptions.Algorithms.Count; i++)
            {
                if (!AsymmetricAlgorithms.Contains(dynamicOptions.Algorithms[i], StringComparer.Ordinal))
                    Fail($"Dynamic:Algorithms:{i}", $"'{dynamicOptions.Algorithms[i]}' is not allowed (one of {string.Join(", ", AsymmetricAlgorithms)})");
            }
            if (dynamicOptions.JwksRefreshMin <= TimeSpan.Zero)
                Fail("Dynamic:JwksRefreshMin", "must be positive");
            if (dynamicOptions.JwksMaxAge < dynamicOptions.JwksRefreshMin)
                Fail("Dynamic:JwksMaxAge", "must not be shorter than Dynamic:JwksRefreshMin");
            if (dynamicOptions.JwksTimeout <= TimeSpan.Zero)
                Fail("Dynamic:JwksTimeout", "must be positive");
        }

        if (string.IsNullOrWhiteSpace(options.Store.ConnectionString))
            Fail("Store:ConnectionString", "is empty");
        if (options.Store.MaxBatch < 1)
            Fail("Store:MaxBatch", "must be at least 1");
        if (options.Store.RetryAfter < TimeSpan.FromSeconds(1))
            Fail("Store:RetryAfter", "must be at least 00:00:01");

        // A delivery is a duplicate only while its row exists: the row must outlive every retry Gemini may still send
        // (24 hours) and every replay the timestamp window still lets through (Tolerance), or a replay is accepted twice.
        var minimumRetention = options.Tolerance + TimeSpan.FromHours(24);
        // Each kept id answers Gemini's redeliveries as duplicates; deleted sooner, a redelivery would be stored again.
        foreach (var (key, retention) in new[]
        {
            ("Idempotency:Retention", options.Idempotency.Retention),
            ("Idempotency:QuarantinedRetention", options.Idempotency.QuarantinedRetention),
            ("Idempotency:DeadRetention", options.Idempotency.DeadRetention),
        })
        {
            if (retention < minimumRetention)
                Fail(key, $"must be at least Tolerance plus 24 hours, {minimumRetention} (is {retention}; " +
                    "Gemini retries for 24 hours; the default is 7 days)");
        }
        if (options.Idempotency.CleanupInterval <= TimeSpan.Zero)
            Fail("Idempotency:CleanupInterval", "must be positive");

        var dispatch = options.Dispatch;
        if (dispatch.MaxAttempts < 1)
            Fail("Dispatch:MaxAttempts", "must be at least 1");
        if (dispatch.Concurrency is < 1 or > 1024)
            Fail("Dispatch:Concurrency", "must be between 1 and 1024");
        if (dispatch.BatchSize is < 1 or > 10_000)
            Fail("Dispatch:BatchSize", "must be between 1 and 10000");
        if (dispatch.RetryBaseDelay <= TimeSpan.Zero)
            Fail("Dispatch:RetryBaseDelay", "must be positive");
        if (dispatch.RetryMaxDelay < dispatch.RetryBaseDelay)
            Fail("Dispatch:RetryMaxDelay", "must not be shorter than Dispatch:RetryBaseDelay");
        if (dispatch.Lease <= TimeSpan.Zero)
            Fail("Dispatch:Lease", "must be positive");
        if (dispatch.PollInterval <= TimeSpan.Zero)
            Fail("Dispatch:PollInterval", "must be positive");

        // A short key could be guessed despite the throttle; the length is named, never the key.
        var admin = options.Admin;
        if (!string.IsNullOrEmpty(admin.ApiKey) && admin.ApiKey.Length < MinimumAdminKeyLength)
            Fail("Admin:ApiKey", $"must be at least {MinimumAdminKeyLength} characters (is {admin.ApiKey.Length}); generate one with 'openssl rand -base64 32'");
        for (var i = 0; i < admin.AllowedNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(admin.AllowedNetworks[i], out _))
                Fail($"Admin:AllowedNetworks:{i}", $"'{admin.AllowedNetworks[i]}' is not a network in CIDR form (like 10.0.0.0/8)");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void CheckPath(string key, string path)
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/')
                Fail(key, $"'{path}' must start with '/'");
            else if (!paths.Add(path))
                Fail(key, $"'{path}' is used by another endpoint");
        }
    }

    static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
