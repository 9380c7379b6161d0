using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace GeminiHooks.Server.Tests.Deployment;

/// <summary>
/// deploy/nginx.conf, run by the real nginx on loopback in front of a real receiver: the /admin allow-list holds
/// whatever the case of the path (the receiver's routing ignores case), and deliveries still pass. TLS and the public
/// ports are swapped for loopback ports; every other line is the deployed file's.
/// </summary>
public class NginxConfigTests
{
    const string AdminKey = "nginx-admin-key-0123456789abcdef0";

    [Fact]
    public async Task Admin_paths_in_any_case_are_refused_outside_the_allow_list_while_deliveries_pass()
    {
        using var data = new TempDirectory();
        await using var receiver = new Receiver(data.Path, new Dictionary<string, string?> { ["GeminiHooks:Admin:ApiKey"] = AdminKey });
        using var direct = receiver.Start();
        direct.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        // What the allow-list protects: the receiver itself serves /ADMIN as /admin.
        using (var upper = await direct.GetAsync("/ADMIN/backlog"))
            Assert.Equal(HttpStatusCode.OK, upper.StatusCode);

        using var nginxDir = new TempDirectory();
        var port = ChildProcess.FreePort();
        WriteConfig(nginxDir.Path, port, direct.BaseAddress!.Port);
        using var nginx = StartNginx(nginxDir.Path);
        try
        {
            using var proxy = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            proxy.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            await WaitForAsync(proxy, nginx, nginxDir.Path);

            foreach (var path in new[] { "/admin", "/admin/backlog", "/ADMIN/backlog", "/Admin/events", "/aDmIn/", "/%41DMIN/backlog", "//admin/backlog" })
            {
                using var refused = await proxy.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
                Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{path} through nginx answered {(int)refused.StatusCode}");
            }

            using var delivery = ServerProcess.Delivery("msg_through_nginx", secret: Receiver.Secret);
            using var accepted = await proxy.SendAsync(delivery);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Equal("""{"status":"accepted"}""", await accepted.Content.ReadAsStringAsync());
        }
        finally
        {
            nginx.Kill(entireProcessTree: true);
            await nginx.WaitForExitAsync();
        }
    }

    /// <summary>The deployed server blocks with loopback ports and no TLS; each swap must apply, or the file changed.</summary>
    static void WriteConfig(string dir, int port, int upstreamPort)
    {
        var deployed = File.ReadAllText(Path.Combine(Repository.Root, "deploy", "nginx.conf"));
        string Swap(string text, string from, string to)
        {
            Assert.Contains(from, text, StringComparison.Ordinal);
            return text.Replace(from, to, StringComparison.Ordinal);
        }
        var adapted = Swap(deployed, "server geminihooks:8080;", $"server 127.0.0.1:{upstreamPort.ToString(CultureInfo.InvariantCulture)};");
        adapted = Swap(adapted, "listen 80;", $"listen 127.0.0.1:{ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture)};");
        adapted = Swap(adapted, "listen 443 ssl;", $"listen 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};");
        // No certificate on loopback; "http2 on" needs nginx 1.25 (Debian ships 1.22), and HTTP/2 needs TLS here anyway.
        adapted = string.Join('\n', adapted.Split('\n').Where(line =>
            !line.TrimStart().StartsWith("ssl_", StringComparison.Ordinal) && line.Trim() != "http2 on;"));
        File.WriteAllText(Path.Combine(dir, "default.conf"), adapted);
        File.WriteAllText(Path.Combine(dir, "nginx.conf"), $$"""
            daemon off;
            master_process off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{dir}}/body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                include {{dir}}/default.conf;
            }
            """);
    }

    static Process StartNginx(string dir)
    {
        var binary = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx"; // root's PATH has /usr/sbin, others may not
        var start = new ProcessStartInfo(binary, ["-p", dir, "-c", Path.Combine(dir, "nginx.conf")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(start) ?? throw new InvalidOperationException("nginx did not start");
    }

    static async Task WaitForAsync(HttpClient proxy, Process nginx, string dir)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (nginx.HasExited)
                throw new InvalidOperationException("nginx exited: " + await nginx.StandardError.ReadToEndAsync() +
                                                    File.ReadAllText(Path.Combine(dir, "error.log")));
            try
            {
                using var health = await proxy.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (health.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException) { }
            Assert.True(DateTime.UtcNow < deadline, "nginx did not answer in 20 s");
            await Task.Delay(100);
        }
    }
}
