namespace GeminiHooks.Dispatch;

/// <summary>
/// Names the handlers an event type goes to. Ingest asks it once per accepted delivery and stores one pending
/// (event, handler) pair per name in the same transaction as the event, so no event is ever accepted without its work.
/// </summary>
interface IHandlerCatalog
{
    IReadOnlyList<string> HandlersFor(string eventType);
}
