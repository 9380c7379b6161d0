namespace GeminiHooks.Storage;

/// <summary>Creates the store named by <c>Store:Provider</c>; each store project registers one.</summary>
public interface IEventStoreFactory
{
    string Provider { get; }
    IEventStore Create(IServiceProvider services);
}
