"""A small conv net: conv, relu, max-pool, flatten, linear, cross-entropy."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, kernel_size=3, padding=1)
        self.fc = nn.Linear(3 * 3 * 3, 4)

    def forward(self, x):
        h = F.relu(self.conv(x))
        h = F.max_pool2d(h, 2)
        return self.fc(h.flatten(1))


torch.manual_seed(2)
images = torch.randn(5, 1, 6, 6)
labels = torch.tensor([0, 3, 1, 2, 3])
model = ConvNet()
loss = F.cross_entropy(model(images), labels)
loss.backward()
