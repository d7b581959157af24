// Walkthrough 3: feature visualization by optimisation (Olah et al. 2017, Lucid's render_vis) on a real CNN.
// For each conv2 channel of the EIS VII MNIST network we start from a faint random image and run gradient ascent
// (Adam) on the channel's mean pre-ReLU activation. The image is parameterized by 1/f-scaled Fourier coefficients and
// jittered, scaled and rotated before every step, so the result shows a pattern the channel responds to wherever it
// appears rather than high-frequency noise that fools one exact pixel grid.
using Interp;
using Interp.Analysis.Walkthroughs;
using Interp.Analysis.FeatureViz;
using Interp.Analysis.Plot;
using Interp.Autograd;

string outDir = args.Length > 1 ? args[1] : ".";
int steps = args.Length > 2 ? int.Parse(args[2]) : 256;
int requested = args.Length > 3 ? int.Parse(args[3]) : 16;

var cnn = WalkthroughInputs.Eis7Cnn(args.Length > 0 ? args[0] : null);   // conv1 8 channels, conv2 16, fc1 200, 2 logits
var cfg = cnn.Config;
int n = Math.Min(requested, cfg.Conv2Channels);

// image i of the batch is optimised for channel i: the objective is the sum of the n channel means
var param = new FourierImage(n, cfg.InChannels, cfg.ImageSize, cfg.ImageSize, gen: new Generator(0));
var objective = Objective.Sum(Enumerable.Range(0, n).Select(c => Objective.Channel("conv2", c, batch: c)));

// each channel's mean activation on its own image, on the plain (untransformed) images
double[] PerChannel(Tensor images)
{
    using var _ = GradMode.NoGrad();
    var acts = CnnActivations.Of(cnn)(images);
    return Enumerable.Range(0, n).Select(c => Objective.Channel("conv2", c, batch: c).Evaluate(acts).Item()).ToArray();
}

var before = PerChannel(param.Image());
var options = new RenderOptions { Steps = steps, LearningRate = 0.05, Transforms = Transforms.Standard(cfg.ImageSize) };
var result = FeatureRenderer.Render(cnn, objective, param, options);
var after = PerChannel(result.Images);

Console.WriteLine($"conv2: {n} channels, {steps} Adam steps in {result.Elapsed.TotalSeconds:F1} s");
Console.WriteLine("channel   before    after");
for (int c = 0; c < n; c++) Console.WriteLine($"conv2 {c,2}  {before[c],7:F3}  {after[c],7:F3}");
Console.WriteLine($"total objective {result.InitialObjective:F3} -> {result.FinalObjective:F3}");

// one 28x28 image per channel, 4x enlarged, 4 to a row, on the fixed [0, 1] range the network sees
int columns = Math.Min(4, n), scale = 4;
string svg = Path.Combine(outDir, "conv2-channels.svg");   // a PNG of the images inside, with a title and a grey legend
new ImageFigure($"conv2 channels 0 to {n - 1}, optimised inputs", ImageGrid.Render(result.Images, columns, scale, pad: 2, range: (0, 1)))
    { XLabel = $"channel, {columns} to a row", Legend = ColorScale.Grey(0, 1), ValueLabel = "pixel value" }.Save(svg);
Console.WriteLine($"wrote {svg} ({columns} x {(n + columns - 1) / columns} images)");
return 0;
