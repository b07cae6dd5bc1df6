"""Five SGD steps on a tiny MLP with torch.optim: `--backward 3` records the third step's loss."""
import torch
from torch import nn

torch.manual_seed(5)
X = torch.randn(16, 3)
y = (X[:, :1] * 2 - X[:, 1:2]).tanh()
model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)

for step in range(5):
    opt.zero_grad()
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    opt.step()
    print(f"step {step + 1}: loss {loss.item():.4f}")
