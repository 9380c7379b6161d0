namespace GeminiHooks.Storage.Kit;

/// <summary>What both stores check before a delivery is queued, so both answer the same input the same way.</summary>
static class AcceptRules
{
    /// <summary>
    /// Returns the delivery, or throws <see cref="StoreRejectedException"/> when its key (endpoint, webhook id) holds a
    /// character no text column can store (see <see cref="StoredText"/>): unlike the event type, the key is looked up
    /// by its exact value, so it cannot be stored in a replaced form.
    /// </summary>
    public static IncomingDelivery Check(IncomingDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (!IsStorableKey(delivery.Endpoint, delivery.WebhookId))
            throw new StoreRejectedException("The webhook id or endpoint holds a NUL character or an unpaired surrogate, which the store cannot keep.");
        return delivery;
    }

    /// <summary>False when no event can be stored under this key, so a lookup can answer "not found" without asking.</summary>
    public static bool IsStorableKey(string endpoint, string webhookId) =>
        StoredText.IsRepresentable(endpoint) && StoredText.IsRepresentable(webhookId);
}
