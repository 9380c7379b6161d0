namespace GeminiHooks.Cli.Webhooks;

internal static class RevocationBehaviors
{
    public const string After24h = "revoke_previous_secrets_after_h24";
    public const string Immediately = "revoke_previous_secrets_immediately";
}
