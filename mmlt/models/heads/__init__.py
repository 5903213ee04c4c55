# Copyright (c) mmlt contributors. All rights reserved.
