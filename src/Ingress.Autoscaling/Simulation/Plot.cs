using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Ingress.Autoscaling.Simulation;

/// <summary>
/// Charts of a simulation: traffic (right axis), desired pods and ready pods (left axis) over time, as
/// step lines. SVG is written by hand; PNG is rasterised by hand (lines and legend swatches, no text) and
/// encoded with the framework's zlib, so neither needs a package.
/// </summary>
public static class Plot
{
    private const int Width = 900, Height = 420, Left = 60, Right = 70, Top = 40, Bottom = 50;
    private const string TrafficColor = "#9e9e9e", DesiredColor = "#d32f2f", ReadyColor = "#1976d2";

    private sealed record Geometry(double T0, double T1, double MaxPods, double MaxTraffic)
    {
        public double X(double t) => Left + (T1 == T0 ? 0 : (t - T0) / (T1 - T0)) * (Width - Left - Right);
        public double YPods(double p) => Height - Bottom - p / MaxPods * (Height - Top - Bottom);
        public double YTraffic(double v) => Height - Bottom - v / MaxTraffic * (Height - Top - Bottom);
    }

    private static Geometry Measure(IReadOnlyList<SimulationStep> steps)
    {
        var t0 = steps.Count == 0 ? 0 : steps[0].T;
        var t1 = steps.Count == 0 ? 1 : Math.Max(steps[^1].T, t0 + 1);
        var maxPods = Math.Max(1, steps.Count == 0 ? 1 : steps.Max(s => Math.Max(s.DesiredPodCount, s.ReadyPods)));
        var maxTraffic = Math.Max(1, steps.Count == 0 ? 1 : steps.Max(s => s.Traffic));
        return new Geometry(t0, t1, NiceCeiling(maxPods), NiceCeiling(maxTraffic));
    }

    private static double NiceCeiling(double v)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
            if (m * magnitude >= v) return m * magnitude;
        return 10 * magnitude;
    }

    // Step-line vertices: the value holds until the next step's time.
    private static List<(double X, double Y)> StepLine(IReadOnlyList<SimulationStep> steps, Func<SimulationStep, double> y, Geometry g)
    {
        var points = new List<(double, double)>();
        for (var i = 0; i < steps.Count; i++)
        {
            var yv = y(steps[i]);
            points.Add((g.X(steps[i].T), yv));
            var next = i + 1 < steps.Count ? steps[i + 1].T : steps[i].T;
            points.Add((g.X(next), yv));
        }
        return points;
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Renders the chart as SVG text.</summary>
    public static string Svg(IReadOnlyList<SimulationStep> steps, string title = "ingress autoscale simulate")
    {
        var g = Measure(steps);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n");
        // Axes and grid.
        for (var i = 0; i <= 5; i++)
        {
            var pods = g.MaxPods * i / 5;
            var y = g.YPods(pods);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{F(y)}\" x2=\"{Width - Right}\" y2=\"{F(y)}\" stroke=\"#eeeeee\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{F(pods)}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right + 6}\" y=\"{F(y + 4)}\" fill=\"{TrafficColor}\">{F(g.MaxTraffic * i / 5)}</text>\n");
            var t = g.T0 + (g.T1 - g.T0) * i / 5;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(g.X(t))}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{F(t)}s</text>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"15\" y=\"{Height / 2}\" transform=\"rotate(-90 15 {Height / 2})\" text-anchor=\"middle\">pods</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - 12}\" y=\"{Height / 2}\" transform=\"rotate(90 {Width - 12} {Height / 2})\" text-anchor=\"middle\" fill=\"{TrafficColor}\">traffic</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Width - Right + Left) / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">time since start</text>\n");

        void Series(string id, string color, double strokeWidth, List<(double X, double Y)> points)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<polyline id=\"{id}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{F(strokeWidth)}\" points=\"");
            sb.AppendJoin(' ', points.Select(p => $"{F(p.X)},{F(p.Y)}"));
            sb.Append("\"/>\n");
        }
        Series("traffic", TrafficColor, 1.5, StepLine(steps, s => g.YTraffic(s.Traffic), g));
        Series("ready-pods", ReadyColor, 2, StepLine(steps, s => g.YPods(s.ReadyPods), g));
        Series("desired-pods", DesiredColor, 2, StepLine(steps, s => g.YPods(s.DesiredPodCount), g));

        var legend = new[] { ("traffic", TrafficColor), ("desired pods", DesiredColor), ("ready pods", ReadyColor) };
        for (var i = 0; i < legend.Length; i++)
        {
            var x = Left + 10 + i * 130;
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{Top - 12}\" width=\"12\" height=\"12\" fill=\"{legend[i].Item2}\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 16}\" y=\"{Top - 2}\">{legend[i].Item1}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);

    /// <summary>Renders the chart as a PNG (RGB, 8 bit): axes, grid, the three step lines and legend swatches.</summary>
    public static byte[] Png(IReadOnlyList<SimulationStep> steps)
    {
        var g = Measure(steps);
        var pixels = new byte[Width * Height * 3];
        Array.Fill(pixels, (byte)255);
        void Set(int x, int y, (byte R, byte G, byte B) c)
        {
            if (x < 0 || y < 0 || x >= Width || y >= Height) return;
            var i = (y * Width + x) * 3;
            pixels[i] = c.R; pixels[i + 1] = c.G; pixels[i + 2] = c.B;
        }
        void Line(double x0, double y0, double x1, double y1, (byte, byte, byte) c, int thickness)
        {
            var steps = (int)Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0)) + 1;
            for (var s = 0; s <= steps; s++)
            {
                var x = x0 + (x1 - x0) * s / steps;
                var y = y0 + (y1 - y0) * s / steps;
                for (var dx = 0; dx < thickness; dx++)
                    for (var dy = 0; dy < thickness; dy++)
                        Set((int)Math.Round(x) + dx, (int)Math.Round(y) + dy, c);
            }
        }
        void Polyline(List<(double X, double Y)> points, (byte, byte, byte) c, int thickness)
        {
            for (var i = 1; i < points.Count; i++) Line(points[i - 1].X, points[i - 1].Y, points[i].X, points[i].Y, c, thickness);
        }
        var grid = ((byte)0xee, (byte)0xee, (byte)0xee);
        var black = ((byte)0, (byte)0, (byte)0);
        for (var i = 0; i <= 5; i++) Line(Left, g.YPods(g.MaxPods * i / 5), Width - Right, g.YPods(g.MaxPods * i / 5), grid, 1);
        Line(Left, Height - Bottom, Width - Right, Height - Bottom, black, 1);
        Line(Left, Top, Left, Height - Bottom, black, 1);
        var traffic = ((byte)0x9e, (byte)0x9e, (byte)0x9e);
        var desired = ((byte)0xd3, (byte)0x2f, (byte)0x2f);
        var ready = ((byte)0x19, (byte)0x76, (byte)0xd2);
        Polyline(StepLine(steps, s => g.YTraffic(s.Traffic), g), traffic, 1);
        Polyline(StepLine(steps, s => g.YPods(s.ReadyPods), g), ready, 2);
        Polyline(StepLine(steps, s => g.YPods(s.DesiredPodCount), g), desired, 2);
        var swatches = new[] { traffic, desired, ready };
        for (var i = 0; i < swatches.Length; i++)
            for (var y = Top - 12; y < Top; y++)
                Line(Left + 10 + i * 130, y, Left + 22 + i * 130, y, swatches[i], 1);
        return EncodePng(pixels, Width, Height);
    }

    /// <summary>Minimal PNG encoder: IHDR (8-bit RGB), one zlib IDAT with filter 0 rows, IEND.</summary>
    public static byte[] EncodePng(byte[] rgb, int width, int height)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type RGB
        WriteChunk(output, "IHDR", header);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (var y = 0; y < height; y++)
                {
                    z.WriteByte(0); // filter: none
                    z.Write(rgb, y * width * 3, width * 3);
                }
            }
            WriteChunk(output, "IDAT", raw.ToArray());
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        output.Write(four);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = Crc32(typeBytes, data);
        BinaryPrimitives.WriteUInt32BigEndian(four, crc);
        output.Write(four);
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>CRC-32 (ISO-HDLC, as PNG uses) over the concatenation of the parts.</summary>
    public static uint Crc32(params byte[][] parts)
    {
        var c = 0xFFFFFFFFu;
        foreach (var part in parts)
            foreach (var b in part)
                c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
