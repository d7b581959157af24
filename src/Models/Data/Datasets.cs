namespace Interp.Data;

/// <summary>
/// Images and labels of an image-classification set: <see cref="Images"/> is row-major
/// [Count, Height, Width] float32 scaled to [0, 1] (pixel / 255); <see cref="Labels"/> holds Count ints.
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(float[] images, int[] labels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if ((long)labels.Length * height * width != images.Length)
            throw new ArgumentException($"{labels.Length} labels of {height}x{width} images need {(long)labels.Length * height * width} pixels, got {images.Length}");
        Images = images;
        Labels = labels;
        Height = height;
        Width = width;
    }

    public float[] Images { get; }
    public int[] Labels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => Labels.Length;

    /// <summary>
    /// Builds a dataset from an IDX image file ([N, H, W] ubyte) and an IDX label file ([N] ubyte); with
    /// <paramref name="classes"/>, a label outside [0, classes) is refused naming the file (else a damaged file
    /// surfaces as an index error deep inside the loss).
    /// </summary>
    public static ImageDataset FromIdx(string imagesPath, string labelsPath, int? classes = null)
    {
        var img = Idx.Read(imagesPath);
        var lab = Idx.Read(labelsPath);
        if (img.Shape.Length != 3)
            throw new InvalidDataException($"Invalid image file '{imagesPath}': expected 3 dimensions [N, H, W], got [{string.Join(", ", img.Shape)}]");
        if (lab.Shape.Length != 1)
            throw new InvalidDataException($"Invalid label file '{labelsPath}': expected 1 dimension [N], got [{string.Join(", ", lab.Shape)}]");
        if (img.Shape[0] != lab.Shape[0])
            throw new InvalidDataException($"'{imagesPath}' holds {img.Shape[0]} images but '{labelsPath}' holds {lab.Shape[0]} labels");
        var images = new float[img.Data.Length];
        for (int i = 0; i < images.Length; i++) images[i] = img.Data[i] / 255f;
        var labels = new int[lab.Data.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = lab.Data[i];
            if (labels[i] >= classes)
                throw new InvalidDataException($"Invalid label file '{labelsPath}': label {labels[i]} at index {i} is outside the {classes} classes [0, {classes})");
        }
        return new ImageDataset(images, labels, img.Shape[1], img.Shape[2]);
    }
}

/// <summary>Locates the repository root and the shared data folder next to it.</summary>
public static class DataPaths
{
    /// <summary>
    /// The folder containing Interp.sln, found by walking up from <see cref="AppContext.BaseDirectory"/>
    /// (then from the current directory); null when not found.
    /// </summary>
    public static string? FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Interp.sln"))) return dir.FullName;
        }
        return null;
    }

    /// <summary>
    /// The shared data folder: <c>$INTERP_SHARED_DATA</c> when set, else <c>&lt;repo root&gt;/../shared/data</c>;
    /// null when neither exists.
    /// </summary>
    public static string? SharedData()
    {
        var env = Environment.GetEnvironmentVariable("INTERP_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
        var root = FindRepoRoot();
        if (root == null) return null;
        var dir = Path.GetFullPath(Path.Combine(root, "..", "shared", "data"));
        return Directory.Exists(dir) ? dir : null;
    }
}

/// <summary>The 10,000 real MNIST digits in <c>../shared/data/mnist</c> (see that folder's README).</summary>
public static class Mnist
{
    public const string ImagesFile = "mnist10k-images-idx3-ubyte.gz";
    public const string LabelsFile = "mnist10k-labels-idx1-ubyte.gz";

    /// <summary>The folder holding the files, or null when the shared data folder is not found.</summary>
    public static string? Directory => DataPaths.SharedData() is string d ? Path.Combine(d, "mnist") : null;

    public static bool IsAvailable => Directory is string d && File.Exists(Path.Combine(d, ImagesFile)) && File.Exists(Path.Combine(d, LabelsFile));

    /// <summary>
    /// Loads the 10,000 digits ([10000, 28, 28] in [0, 1], labels 0..9). They are grouped by class: shuffle
    /// before splitting.
    /// </summary>
    /// <exception cref="FileNotFoundException">The files are not found; the message says where they were expected.</exception>
    public static ImageDataset Load10k()
    {
        var dir = Directory ?? throw new FileNotFoundException(
            "MNIST 10k not found: no shared data folder (expected ../shared/data next to the folder containing Interp.sln, or $INTERP_SHARED_DATA).");
        return Load10k(dir);
    }

    /// <summary>The same from the folder holding <see cref="ImagesFile"/> and <see cref="LabelsFile"/>.</summary>
    public static ImageDataset Load10k(string dir)
    {
        var img = Path.Combine(dir, ImagesFile);
        var lab = Path.Combine(dir, LabelsFile);
        foreach (var f in new[] { img, lab })
            if (!File.Exists(f)) throw new FileNotFoundException($"MNIST 10k file not found: '{f}' (see ../shared/data/README.md).", f);
        return ImageDataset.FromIdx(img, lab, classes: 10);
    }
}

/// <summary>Fashion-MNIST as installed by the Debian package <c>dataset-fashion-mnist</c>.</summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package puts the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";
    public const string DebianPackage = "dataset-fashion-mnist";
    public const string TrainImagesFile = "train-images-idx3-ubyte.gz";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte.gz";
    public const string TestImagesFile = "t10k-images-idx3-ubyte.gz";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte.gz";

    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The folder used: <c>$INTERP_FASHION_MNIST</c> when set, else the Debian location.</summary>
    public static string Directory
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("INTERP_FASHION_MNIST");
            return string.IsNullOrEmpty(env) ? DebianDirectory : env;
        }
    }

    public static bool IsAvailable =>
        new[] { TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile }.All(f => File.Exists(Path.Combine(Directory, f)));

    /// <summary>The 60,000 training images (train = true) or the 10,000 test images, [N, 28, 28] in [0, 1].</summary>
    /// <exception cref="FileNotFoundException">Not installed; the message names the Debian package.</exception>
    public static ImageDataset Load(bool train) => Load(train, Directory);

    /// <summary>As <see cref="Load(bool)"/>, from the four standard file names in <paramref name="directory"/>.</summary>
    public static ImageDataset Load(bool train, string directory)
    {
        var img = Path.Combine(directory, train ? TrainImagesFile : TestImagesFile);
        var lab = Path.Combine(directory, train ? TrainLabelsFile : TestLabelsFile);
        foreach (var f in new[] { img, lab })
            if (!File.Exists(f))
                throw new FileNotFoundException(
                    $"Fashion-MNIST file not found: '{f}'. Install the Debian package: apt-get install -y {DebianPackage}", f);
        return ImageDataset.FromIdx(img, lab, classes: 10);
    }
}
