using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>
/// HTTPS straight from Kestrel with the standard <c>Kestrel:Endpoints</c> keys, and the client address behind a
/// TLS-terminating proxy, on the published server with settings from environment variables as in a container.
/// </summary>
public class HttpsAndProxyTests
{
    [Fact]
    public async Task The_published_server_serves_HTTPS_from_a_configured_certificate_and_accepts_a_signed_delivery_over_it()
    {
        using var certificates = new TempDirectory();
        const string password = "test-pfx-password";
        using var certificate = SelfSignedLoopbackCertificate();
        var pfx = certificates.File("geminihooks.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, password));
        var httpsPort = ChildProcess.FreePort();
        var httpPort = ChildProcess.FreePort();

        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{httpsPort}",
            ["Kestrel__Endpoints__Https__Certificate__Path"] = pfx,
            ["Kestrel__Endpoints__Https__Certificate__Password"] = password,
            // Explicit endpoints replace ASPNETCORE_HTTP_PORTS, so the plain one (health probe, proxy) is listed too.
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{httpPort}",
            ["GeminiHooks__Metrics__Port"] = "0", // the scrape on the main (HTTPS) listener
        });
        using var https = new HttpClient(TrustOnly(certificate)) { BaseAddress = new Uri($"https://127.0.0.1:{httpsPort}") };
        await server.WaitUntilUpAsync(https);

        using var request = ServerProcess.Delivery("msg_tls");
        // Forwarded headers are off by default: a client cannot claim another address.
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.9");
        using var response = await https.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"accepted"}""", await response.Content.ReadAsStringAsync());
        var entry = await server.DeliveryLogAsync("msg_tls");
        Assert.Equal("127.0.0.1", (string?)entry["ClientAddress"]);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        using var health = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var scrape = await https.GetStringAsync("/metrics");
        Assert.Equal(1, Prometheus.Value(scrape, "geminihooks_deliveries_total", ("endpoint", "static"), ("outcome", "accepted")));
    }

    [Fact]
    public async Task Behind_a_proxy_with_forwarded_headers_on_the_delivery_log_line_carries_the_forwarded_client_address()
    {
        var port = ChildProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__ForwardedHeaders__Enabled"] = "true",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await server.WaitUntilUpAsync(client);

        // The test client plays a proxy on loopback (trusted by default), adding the header as nginx or Caddy would.
        using var proxied = ServerProcess.Delivery("msg_proxied");
        proxied.Headers.TryAddWithoutValidation("X-Forwarded-For", "198.51.100.23");
        proxied.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        using (var response = await client.SendAsync(proxied))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using (var response = await client.SendAsync(ServerProcess.Delivery("msg_direct")))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal("198.51.100.23", (string?)(await server.DeliveryLogAsync("msg_proxied"))["ClientAddress"]);
        Assert.Equal("127.0.0.1", (string?)(await server.DeliveryLogAsync("msg_direct"))["ClientAddress"]);
    }

    [Fact]
    public async Task Forwarded_headers_from_an_address_that_is_not_a_known_proxy_are_ignored()
    {
        var port = ChildProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(CultureInfo.InvariantCulture),
            ["GeminiHooks__ForwardedHeaders__Enabled"] = "true",
            // Listing a proxy replaces the loopback default: the loopback client below is no longer trusted.
            ["GeminiHooks__ForwardedHeaders__KnownNetworks__0"] = "192.0.2.0/24",
        });
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await server.WaitUntilUpAsync(client);
        using var spoofed = ServerProcess.Delivery("msg_spoofed");
        spoofed.Headers.TryAddWithoutValidation("X-Forwarded-For", "198.51.100.23");
        using (var response = await client.SendAsync(spoofed))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("127.0.0.1", (string?)(await server.DeliveryLogAsync("msg_spoofed"))["ClientAddress"]);
    }

    static X509Certificate2 SelfSignedLoopbackCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
    }

    /// <summary>
    /// A client that trusts this certificate as its only root, still checking the chain and that the name matches
    /// (127.0.0.1 is in the certificate's subject alternative names).
    /// </summary>
    static SocketsHttpHandler TrustOnly(X509Certificate2 root) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, errors) =>
            {
                if (presented is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(root);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(presented));
            },
        },
    };
}
