using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using GeminiHooks.Configuration;
using GeminiHooks.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Admin;

/// <summary>
/// Who may use the operator surface, checked in this order: the API exists (a key is set), the client is inside
/// <c>Admin:AllowedNetworks</c> (outside, the surface answers 404 as if it did not exist), the client is not
/// throttled after failed keys (429 with Retry-After), and the bearer key matches (401). Settings are re-read on
/// every request, so a reload rotates the key or changes the networks without a restart.
/// </summary>
sealed class AdminGate(IOptionsMonitor<GeminiHooksOptions> options, TimeProvider time)
{
    /// <summary>The same words as routing's own 404, so a client outside the networks cannot tell the API is there.</summary>
    const string NotFoundDetail = "There is no endpoint at this path.";

    readonly AdminFailureThrottle _throttle = new(time);

    /// <summary>The operator API and dashboard are there for this client (a key is set and its network is allowed).</summary>
    public bool Visible(HttpContext context)
    {
        var admin = options.CurrentValue.Admin;
        return !string.IsNullOrEmpty(admin.ApiKey) && Allowed(context.Connection.RemoteIpAddress, admin.AllowedNetworks);
    }

    /// <summary>Null when the request may go on, otherwise the answer to give.</summary>
    public IResult? Check(HttpContext context)
    {
        if (!Visible(context))
            return ProblemResponse.Result(StatusCodes.Status404NotFound, NotFoundDetail);
        var client = ClientAddress.Of(context) ?? "";
        if (_throttle.RetryAfter(client) is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ProblemResponse.Result(StatusCodes.Status429TooManyRequests,
                "Too many failed admin authentications from this address: wait for Retry-After seconds.");
        }
        if (Authorized(context.Request.Headers.Authorization.ToString(), options.CurrentValue.Admin.ApiKey))
            return null;
        _throttle.RecordFailure(client);
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ProblemResponse.Result(StatusCodes.Status401Unauthorized, "Send the admin key as 'Authorization: Bearer <key>'.");
    }

    /// <summary>An empty list allows every client; entries were validated at start (a bad one is skipped here).</summary>
    internal static bool Allowed(IPAddress? address, IReadOnlyList<string> networks)
    {
        if (networks.Count == 0)
            return true;
        if (address is null)
            return false;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var network in networks)
        {
            if (IPNetwork.TryParse(network, out var parsed) && parsed.Contains(address))
                return true;
        }
        return false;
    }

    /// <summary>Compares digests, so neither the key's content nor its length shows in the timing.</summary>
    static bool Authorized(string header, string key)
    {
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(expected, actual) && presented.Length > 0;
    }
}
