# iNaturalist 2017 (Van Horn et al.): 579,184 training images in 5,089
# species, naturally long-tailed; the validation set is the test set.
_base_ = './inaturalist2018.py'

# Holds train2017.json, val2017.json and train_val_images/.
data_root = 'data/inaturalist2017'

data_preprocessor = dict(num_classes=5089)

train_dataloader = dict(
    dataset=dict(dataset=dict(data_root=data_root, year=2017)))
val_dataloader = dict(dataset=dict(data_root=data_root, year=2017))
test_dataloader = val_dataloader
