using GeminiHooks.Configuration;
using GeminiHooks.Files;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Verification;

/// <summary>
/// In Development only, with static webhooks on and no secret configured: uses a generated secret, kept in
/// <c>data/dev-webhook-secret</c> so it survives restarts, and printed once (to the console, not the log) when made.
/// This is what lets a first <c>dotnet run</c> accept signed deliveries with no set-up.
/// </summary>
sealed class DevelopmentSecret(IHostEnvironment environment) : IPostConfigureOptions<GeminiHooksOptions>
{
    public const string FilePath = "data/dev-webhook-secret";
    static readonly Lock Gate = new();

    public void PostConfigure(string? name, GeminiHooksOptions options)
    {
        if (!environment.IsDevelopment() || !options.Static.Enabled || options.Static.Secrets.Count > 0)
            return;
        lock (Gate)
        {
            string secret;
            if (File.Exists(FilePath) || PrivateFiles.IsSymbolicLink(FilePath))
            {
                if (PrivateFiles.IsSymbolicLink(FilePath))
                    throw new OptionsValidationException(name ?? Options.DefaultName, typeof(GeminiHooksOptions),
                        [$"{GeminiHooksOptions.SectionName}:Static:Secrets: none configured, and {FilePath} is a symbolic link; remove it and a new development secret is made"]);
                secret = File.ReadAllText(FilePath).Trim();
            }
            else
            {
                secret = StandardWebhooks.GenerateSecret();
                // CreateNew: never through a link or over a file someone else made; 0600 in a 0700 folder.
                using (var file = PrivateFiles.Open(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                    file.Write(System.Text.Encoding.UTF8.GetBytes(secret));
                Console.WriteLine($"""
                    Development: no GeminiHooks:Static:Secrets configured, so this secret was generated and saved in {FilePath}:
                      {secret}
                    Sign test deliveries with it; configure your own secret before deploying.
                    """);
            }
            options.Static.Secrets.Add(secret);
        }
    }
}
