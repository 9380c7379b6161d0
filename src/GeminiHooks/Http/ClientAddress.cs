using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Http;

public static class ClientAddress
{
    /// <summary>
    /// The client's address as people write it: a dual-stack listener reports IPv4 clients as <c>::ffff:a.b.c.d</c>,
    /// which would read oddly in logs and split one client into two rate-limit partitions.
    /// </summary>
    public static string? Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
            return null;
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
