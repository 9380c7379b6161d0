namespace GeminiHooks.Cli.Webhooks;

internal static class WebhookStates
{
    public const string Enabled = "enabled";
    public const string Disabled = "disabled";
    public const string DisabledDueToFailedDeliveries = "disabled_due_to_failed_deliveries";
}
