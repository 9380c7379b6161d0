namespace GeminiHooks.Configuration;

public sealed class DynamicWebhookOptions
{
    public const string GoogleJwksUri = "https://generativelanguage.googleapis.com/.well-known/jwks.json";

    public bool Enabled { get; set; }
    public string Path { get; set; } = "/webhooks/gemini/dynamic";
    public string JwksUri { get; set; } = GoogleJwksUri;

    /// <summary>
    /// Accepted JWT <c>aud</c> values (exact comparison), checked when set. Gemini requests carry no audience and the
    /// deliveries seen in live traffic are <c>v1a</c>, not JWTs, so this is empty by default.
    /// </summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>True: <see cref="Audiences"/> must be set, and a JWT without one of them is refused.</summary>
    public bool RequireAudience { get; set; }

    /// <summary>Binding dynamic deliveries to the operator's own jobs (off until a key is set).</summary>
    public DynamicBindingOptions Binding { get; set; } = new();

    /// <summary>
    /// Google's issuer as the emulator and the project's signers write it; Gemini documents none, so this is an
    /// assumption an operator can override with <see cref="Issuers"/>.
    /// </summary>
    internal const string GoogleIssuer = "https://generativelanguage.googleapis.com";

    /// <summary>Accepted JWT <c>iss</c> values; empty means Google's (<c>https://generativelanguage.googleapis.com</c>).</summary>
    public List<string> Issuers { get; set; } = [];

    /// <summary>Accepted JWT algorithms; empty means <c>RS256</c>.</summary>
    public List<string> Algorithms { get; set; } = [];

    /// <summary>Shortest time between two JWKS fetches caused by unknown key ids.</summary>
    public TimeSpan JwksRefreshMin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest time a fetched JWKS is used before it is fetched again, whatever Cache-Control says.</summary>
    public TimeSpan JwksMaxAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Timeout of one JWKS fetch.</summary>
    public TimeSpan JwksTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal IReadOnlyList<string> EffectiveAlgorithms => Algorithms.Count == 0 ? ["RS256"] : Algorithms;

    internal IReadOnlyList<string> EffectiveIssuers => Issuers.Count == 0 ? [GoogleIssuer] : Issuers;
}
