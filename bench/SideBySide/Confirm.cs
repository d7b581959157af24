namespace Interp.Bench.SideBySide;

/// <summary>
/// The side-by-side's confirming pairs (`--confirm P`). Picking the fastest of six PyTorch configurations by their
/// measured medians also picks the one whose measurement the host's noise favoured most, so "Interp / fastest" leans
/// towards PyTorch by the spread of that noise (with per-process noise of 5-15 %, the best of six sits 1.3 standard
/// deviations below its true mean). The configuration is chosen on the rounds; the ratio is then measured again on
/// fresh processes: P pairs, each Interp then that configuration right after it, and the median of the P ratios of the
/// two processes' medians. Both sides see the same minutes of the host in each pair, as gemm-quick's pairs do.
/// </summary>
internal static class Confirm
{
    /// <summary>Per phase, the median over <paramref name="pairs"/> pairs of Interp's median / the fastest configuration's; null when pairs is 0.</summary>
    public static Dictionary<string, double>? Run(string name, int pairs, Dictionary<string, PeerSetting> fastest,
                                                 Func<SideBySideRunner.Side> runInterp, Func<PeerSetting, SideBySideRunner.Side> runTorch)
    {
        if (pairs == 0) return null;
        var ratios = fastest.Keys.ToDictionary(phase => phase, _ => new List<double>());
        for (int i = 0; i < pairs; i++)
        {
            var interp = runInterp();
            // a configuration that is fastest in several phases runs once per pair
            foreach (var setting in fastest.Values.DistinctBy(p => p.Name))
            {
                var torch = runTorch(setting);
                foreach (var (phase, p) in fastest)
                    if (p.Name == setting.Name)
                        ratios[phase].Add(SideBySideRunner.Median(interp.Ms[phase]) / SideBySideRunner.Median(torch.Ms[phase]));
            }
            Console.Error.WriteLine($"side-by-side: {name} confirming pair {i + 1}/{pairs} done");
        }
        return ratios.ToDictionary(r => r.Key, r => SideBySideRunner.Median(r.Value));
    }
}
