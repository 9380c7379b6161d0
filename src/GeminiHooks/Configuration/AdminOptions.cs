namespace GeminiHooks.Configuration;

public sealed class AdminOptions
{
    /// <summary>Bearer key of the operator API (at least 32 characters); empty means the API does not exist.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>
    /// Client networks in CIDR form (<c>10.0.0.0/8</c>) allowed to reach the operator API and dashboard; others get
    /// 404. Empty allows every client. Behind a proxy, turn on forwarded headers so the real client is checked.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];
}
